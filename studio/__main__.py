"""`python -m studio` runs the CLI."""

from studio.cli import main

if __name__ == "__main__":  # worker processes (replay imports) import this module again
    main()
