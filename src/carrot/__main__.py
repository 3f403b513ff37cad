"""`python -m carrot`: the `carrot` command, for environments without the console script."""

from carrot.cli import app

if __name__ == "__main__":
    app(prog_name="carrot")
