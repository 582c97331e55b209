const WORDS = ["hello", "world"]
word(i) = WORDS[i]
