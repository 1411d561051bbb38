"""RLA 0.6's generic results loader: replaced."""
from RLA.replaced import replaced

__all__ = ["results_loader"]

results_loader = replaced(
    "RLA.easy_plot.utils.results_loader",
    "load runs with RLA.easy_plot.loader.load_runs(data_root, task, regs, columns) or RLA.db.query.query(...), "
    "saved images with plot_saved_images")
