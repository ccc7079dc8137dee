"""Expert review: the expert pool, conflicts of interest, assignment and scoring.

The assignment algorithms live in `yongke.review.assignment`, a pure package with no Django
import, so they can be tested and benchmarked on plain data (see docs/STYLE.md).
"""
