/* prices.S — embeds the price table: providers/prices.json (LT_PRICES_JSON)
 * as lt_pricing_json_start..end, and its build-time index (LT_PRICES_INDEX,
 * build/prices.idx, written by build/prices-index) as
 * lt_pricing_index_start..end.
 *
 * Read-only bytes without relocations: loading the library maps these pages
 * but touches none of them; pricing.c reads them at the first cost. Nothing
 * is looked up on disk or fetched at run time.
 */
    .section .rodata
    .balign 8
    .globl lt_pricing_json_start
    .hidden lt_pricing_json_start
    .type lt_pricing_json_start, %object
lt_pricing_json_start:
    .incbin LT_PRICES_JSON
    .globl lt_pricing_json_end
    .hidden lt_pricing_json_end
    .type lt_pricing_json_end, %object
lt_pricing_json_end:
    .byte 0
    .balign 8
    .globl lt_pricing_index_start
    .hidden lt_pricing_index_start
    .type lt_pricing_index_start, %object
lt_pricing_index_start:
    .incbin LT_PRICES_INDEX
    .globl lt_pricing_index_end
    .hidden lt_pricing_index_end
    .type lt_pricing_index_end, %object
lt_pricing_index_end:
    .byte 0
    .section .note.GNU-stack,"",%progbits
