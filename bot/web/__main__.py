from bot.web.server import main

main()
