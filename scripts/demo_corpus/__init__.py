"""The demo corpus generator's parts: the world (people, texts, helpers) and the story."""
