# The R half of plain_script.py: every R fit of one image and one K, the way a plain script
# calls kmeans. Reads the pixels CSV once, writes centres and cluster labels as CSV per fit.
#   Rscript plain_fits.R pixels.csv K MAX_ITER INIT_DIR OUT_DIR MODE:SEED [MODE:SEED ...]
# native runs kmeans(x, K) after set.seed(SEED); matched and tied run Lloyd from
# INIT_DIR/init_{MODE}_k{K}_s{SEED}.csv.
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE)) / 255
k <- as.integer(args[2])
iter_max <- as.integer(args[3])
init_dir <- args[4]
out <- args[5]
for (run in args[-(1:5)]) {
  parts <- strsplit(run, ":", fixed = TRUE)[[1]]
  mode <- parts[1]
  seed <- as.integer(parts[2])
  if (mode == "native") {
    set.seed(seed)
    fit <- kmeans(x, centers = k, iter.max = iter_max)
  } else {
    init <- as.matrix(read.csv(file.path(init_dir, sprintf("init_%s_k%d_s%d.csv", mode, k, seed)),
                               header = FALSE))
    fit <- kmeans(x, centers = init, iter.max = iter_max, algorithm = "Lloyd")
  }
  name <- sprintf("%s_k%d_s%d", mode, k, seed)
  write.table(fit$centers, file.path(out, paste0(name, "_centres.csv")),
              sep = ",", row.names = FALSE, col.names = FALSE)
  write.table(fit$cluster, file.path(out, paste0(name, "_labels.csv")),
              row.names = FALSE, col.names = FALSE)
}
