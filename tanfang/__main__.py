from tanfang.cli import main

main()
