"""Grading kit for the gradient-descent-from-scratch exercise (fast.ai lesson 2)."""
