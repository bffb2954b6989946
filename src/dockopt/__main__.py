"""``python -m dockopt``: the same as the ``dockopt`` script."""

from .entry import main

if __name__ == "__main__":
    main()
