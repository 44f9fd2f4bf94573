"""Staff register member companies: the registry, the n° télédéclarant and the welcome letter."""
