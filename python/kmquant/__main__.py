from kmquant.cli import main

main()
