/* STUB: replaced by the viewer work. */
#include <stdio.h>
int main(void) { return 0; }
