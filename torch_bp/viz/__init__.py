"""Pictures, from traces and run folders' files: the network (draw.py), a run's curves
(figures.py), a sweep (sweep_plot.py), the edge of stability (edge.py). matplotlib only; no
training code."""
