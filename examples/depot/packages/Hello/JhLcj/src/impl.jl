main() = println(Greetings.greeting())
