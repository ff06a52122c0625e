"""``python -m lrnn`` is the ``lrnn`` command."""

from lrnn._entry import main

raise SystemExit(main())
