from tre.workspace.gate.server import main

main()
