"""The commands (train, explain, sweep, plot, figures, edge), each a module with main(argv=None).

The only layer that speaks flags: a setting's field name becomes its `--flag` here, and
every bad input ends as one line on stderr with exit status 2 (args.py).
"""
