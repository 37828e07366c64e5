import sys

from bot.kb.cli import main

sys.exit(main())
