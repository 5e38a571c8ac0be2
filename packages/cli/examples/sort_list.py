def sort_list(xs):
    """Returns the items of xs in ascending order (an example for `o1coder exec`)."""
    return sorted(xs)
