"""Slide-ready pictures: by default every figure is a 16:9 slide 10 in wide (960 × 540 px at
96 dpi) with every text 14 pt, so it reads on a projector without "actual size"."""
SLIDE_SIZE = (10.0, 5.625)  # inches, width × height
SLIDE_DPI = 96               # the PNG's pixels per inch
NETWORK_SIZE = (1280 / SLIDE_DPI, 7.5)  # the network picture: PowerPoint's 16:9 slide, 13.33 in (9-digit numbers need it)
FONT_PT = 14                 # every text on a figure, at its stated size
FONTS = {key: FONT_PT for key in ("font.size", "legend.fontsize", "figure.titlesize", "axes.titlesize",
                                   "axes.labelsize", "xtick.labelsize", "ytick.labelsize")}
