"""``python -m lrnn`` is the ``lrnn`` command."""

from lrnn.cli import main

raise SystemExit(main())
