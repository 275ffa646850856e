import sys

from cip.backtest import main

sys.exit(main())
