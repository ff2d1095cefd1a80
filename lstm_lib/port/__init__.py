"""The PyTorch example (pytorch/examples time_sequence_prediction), ported and measured."""
