"""``python -m transport_sim`` runs the command line."""

import sys

from transport_sim.cli import main

sys.exit(main())
