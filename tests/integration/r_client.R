# r_client.R — an R program using the curl package (libcurl, OpenSSL flavour;
# curl_fetch_memory and multi_run drive the multi interface only).
#   Rscript r_client.R fetch|multi URL CASE=REQUEST_FILE...
library(curl)
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]; url <- args[2]; pairs <- args[-(1:2)]
mk <- function(p) {
  kv <- strsplit(p, "=", fixed = TRUE)[[1]]
  body <- readChar(kv[2], file.info(kv[2])$size, useBytes = TRUE)
  h <- new_handle(postfields = body)
  handle_setheaders(h, "Content-Type" = "application/json", "Authorization" = "Bearer sk-test-abc123",
                    "X-Case" = kv[1])
  h
}
if (mode == "multi") {
  pool <- new_pool()
  out <- character(0)
  for (p in pairs) curl_fetch_multi(url, handle = mk(p), pool = pool,
                                    done = function(r) out <<- c(out, paste(r$status_code, length(r$content))))
  invisible(multi_run(pool = pool))
  # completion order depends on the network: print in a fixed order
  cat(sort(out), sep = "\n")
} else {
  for (p in pairs) {
    r <- curl_fetch_memory(url, handle = mk(p))
    cat(r$status_code, length(r$content), "\n")
  }
}
