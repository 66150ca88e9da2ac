"""`make bench`: every benchmark of the repository, each printing its own table."""
import sys

from . import imports


def main():
    sys.argv = [sys.argv[0], "--rows", "10000", "--runs", "5"]
    imports.main()


if __name__ == "__main__":
    main()
