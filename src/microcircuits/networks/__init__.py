"""Parameters -> kernel arrays, in the reference's random-number order."""
