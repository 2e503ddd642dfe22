"""Demo servers and clients on 127.0.0.1 producing real traffic for pushscope's captures."""
