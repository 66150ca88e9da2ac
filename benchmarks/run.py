"""`make bench`: every benchmark of the repository, each printing its own table."""
import sys

from . import certificates, imports, my_record


def main():
    sys.argv = [sys.argv[0], "--rows", "10000", "--runs", "5"]
    imports.main()
    sys.argv = [sys.argv[0], "--runs", "20", "--batch", "100"]
    try:
        certificates.main()
    except SystemExit as done:
        if done.code:
            raise
    sys.argv = [sys.argv[0], "--entries", "2000", "--runs", "30"]
    my_record.main()


if __name__ == "__main__":
    main()
