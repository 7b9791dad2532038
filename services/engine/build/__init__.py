"""`dockyard build`: Dockerfiles made into images by the engine, with a layer cache.

Domain modules (no gRPC, no generated messages; unit-tested without root):

    dockerfile.py    the syntax: lines, directives, continuations, heredocs → nodes
    instructions.py  what each node says: typed instructions and their errors
    shellwords.py    quotes, escapes and ${VAR:-x} substitution, as docker's lexer
    stages.py        the stage graph: meta args, names, dependencies, the target's needs
"""
