"""What dondoc does, once, for every front door (the CLI today, the web app next): load a plan,
operate on its occurrences, read them, report on them. Front doors parse, call a service and
render; they hold no rule."""
