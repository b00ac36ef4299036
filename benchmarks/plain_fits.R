# The R half of plain_script.py: every R fit of one image and one K, the way seed 000 calls
# kmeans. Reads the pixels CSV once, writes centres and cluster labels as CSV per fit.
#   Rscript plain_fits.R pixels.csv K MAX_ITER OUT_DIR SEED:INIT.csv [SEED:INIT.csv ...]
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE)) / 255
k <- as.integer(args[2])
iter_max <- as.integer(args[3])
out <- args[4]
save_fit <- function(fit, name) {
  write.table(fit$centers, file.path(out, paste0(name, "_centres.csv")),
              sep = ",", row.names = FALSE, col.names = FALSE)
  write.table(fit$cluster, file.path(out, paste0(name, "_labels.csv")),
              row.names = FALSE, col.names = FALSE)
}
for (pair in args[-(1:4)]) {
  parts <- strsplit(pair, ":", fixed = TRUE)[[1]]
  seed <- as.integer(parts[1])
  set.seed(seed)
  save_fit(kmeans(x, centers = k, iter.max = iter_max), sprintf("native_k%d_s%d", k, seed))
  init <- as.matrix(read.csv(parts[2], header = FALSE))
  save_fit(kmeans(x, centers = init, iter.max = iter_max, algorithm = "Lloyd"),
           sprintf("matched_k%d_s%d", k, seed))
}
