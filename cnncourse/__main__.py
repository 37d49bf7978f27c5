"""``python -m cnncourse`` is the ``cnncourse`` command."""
import sys

from cnncourse.cli import main

sys.exit(main())
