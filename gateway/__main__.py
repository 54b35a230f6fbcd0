from gateway.entrypoints.cli.main import main

main()
