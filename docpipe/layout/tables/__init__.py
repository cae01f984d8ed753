"""Tables as grids of cells: from cell boxes (`grid`), from text positions (`from_text`), from rulings
(`from_rulings`), and the cheap checks of whether a grid is a table at all (`checks`)."""
