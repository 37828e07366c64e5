from bot.review.cli import main

main()
