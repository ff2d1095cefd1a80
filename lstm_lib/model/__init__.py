"""The model: the article's packed-``W`` LSTM kernel, its scan loop, the network, loss and data."""
