"""The four audit diagnostics, one file each: hit rate, dynamic prompt content, tool calls, idle gaps."""
