import sys

from chainwatch.cli import main

sys.exit(main())
