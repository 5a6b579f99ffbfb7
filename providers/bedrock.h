/* bedrock.h — AWS Bedrock Runtime: Converse and ConverseStream (AWS event stream),
 * and InvokeModel with Anthropic bodies; the model id from the URL path,
 * percent-decoded.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 */
#ifndef LT_BEDROCK_H
#define LT_BEDROCK_H

#include "provider.h"

extern const struct lt_api_ops lt_bedrock_converse_ops;
extern const struct lt_api_ops lt_bedrock_invoke_ops;

#endif
