from careshift.cli import main

main()
