"""Beyond the sine (chapter 10): the article's recipe on the Mackey-Glass series, beside an echo state network."""
