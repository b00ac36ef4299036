# The R half of plain_script.py: every R fit of one image and one K, the way a plain script
# calls kmeans and amap::Kmeans. Reads the pixels CSV once, writes centres and cluster labels
# as CSV per fit.
#   Rscript plain_fits.R pixels.csv K MAX_ITER INIT_DIR OUT_DIR IMPL:MODE:SEED [...]
# IMPL is r (stats::kmeans) or amap (amap::Kmeans). native runs the package's own start after
# set.seed(SEED) (Hartigan-Wong for kmeans); matched and tied run Lloyd from
# INIT_DIR/init_{MODE}_k{K}_s{SEED}.csv.
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE)) / 255
k <- as.integer(args[2])
iter_max <- as.integer(args[3])
init_dir <- args[4]
out <- args[5]
for (run in args[-(1:5)]) {
  parts <- strsplit(run, ":", fixed = TRUE)[[1]]
  impl <- parts[1]
  mode <- parts[2]
  seed <- as.integer(parts[3])
  if (mode == "native") {
    set.seed(seed)
    centers <- k
  } else {
    centers <- as.matrix(read.csv(file.path(init_dir, sprintf("init_%s_k%d_s%d.csv", mode, k, seed)),
                                  header = FALSE))
  }
  fit <- if (impl == "amap") {
    amap::Kmeans(x, centers = centers, iter.max = iter_max)
  } else if (mode == "native") {
    kmeans(x, centers = centers, iter.max = iter_max)
  } else {
    kmeans(x, centers = centers, iter.max = iter_max, algorithm = "Lloyd")
  }
  name <- sprintf("%s_%s_k%d_s%d", impl, mode, k, seed)
  write.table(fit$centers, file.path(out, paste0(name, "_centres.csv")),
              sep = ",", row.names = FALSE, col.names = FALSE)
  write.table(fit$cluster, file.path(out, paste0(name, "_labels.csv")),
              row.names = FALSE, col.names = FALSE)
}
