greeting() = join(Words.WORDS, ", ")
