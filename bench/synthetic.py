"""Synthetic novel text with realistic lengths and varied vocabulary.

Benchmarks need thousands of paragraphs that look like a novel to a tokenizer
and to an embedder (recurring characters, places and objects, different events)
without a language model. Everything is generated from a seeded ``random.Random``
so two runs see the same text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from recurrentgpt.text import is_looping

CAST = [
    "Arlo",
    "Mirela",
    "Tomas",
    "Ines",
    "Oskar",
    "Petra",
    "Jonah",
    "Lise",
    "the harbour master",
    "the old ferryman",
    "the doctor's widow",
    "the customs officer",
]
PLACES = [
    "the harbour",
    "the lighthouse gallery",
    "the fish market",
    "the cliff path",
    "the quayside tavern",
    "the boathouse",
    "the lower town",
    "the hill chapel",
    "the salt flats",
    "the ropewalk",
    "the customs house",
    "the shipyard",
    "the school orchard",
    "the ferry landing",
]
OBJECTS = [
    "a storm lantern",
    "some tarred rope",
    "the harbour ledger",
    "a torn net",
    "an unsigned letter",
    "a gutting knife",
    "a reef chart",
    "a green bottle",
    "a pocket compass",
    "iron keys",
    "a regatta photograph",
    "a tin of oil",
]
TOPICS = [
    "the missing trawler",
    "herring prices",
    "the new lamp",
    "the cannery debts",
    "winter storms",
    "the spring wedding",
    "the family feud",
    "the ferry stranger",
    "the flooded cellar",
    "the council election",
]
WEATHER = [
    "Rain came sideways",
    "Fog lay over everything",
    "The wind dropped",
    "Sleet rattled the shutters",
    "A pale sun came out",
    "The tide ran far out",
]
FEELINGS = ["uneasy", "hopeful", "angry", "tired", "suspicious", "relieved", "afraid", "curious"]
SENTENCES = [
    "{a} met {b} at {place}; they argued about {topic}.",
    "{weather}, and {a} walked to {place} alone.",
    "{a} carried {object} down to {place}, feeling {feeling}.",
    "For a while {b} said nothing, then asked {a} about {topic}.",
    "{a} remembered that {b} once lied about {topic}.",
    "At {place} people talked of {topic}, and {a} listened.",
    "{b} handed {a} {object} and looked away.",
    "{a} felt {feeling} when {b} laughed about {topic}.",
    "{weather}; at {place} lamps were lit early.",
    "Nobody at {place} knew where {b} had slept.",
    "{a} wrote some lines on {topic}, then burned them.",
    "{b} swore that {object} had been there at dawn.",
    "By evening {a} was back at {place}, {feeling} and wet.",
    "{a} and {b} mended {object} in silence.",
    "It was {b} who noticed that {object} was gone.",
    "{a} missed the days before {topic}.",
    "A bell rang twice; {a} hurried towards {place}.",
    "{b} promised silence about {topic}, but {a} doubted it.",
]


def sentence(rng: random.Random) -> str:
    """One sentence about the recurring cast, places and objects."""
    a, b = rng.sample(CAST, 2)
    text = rng.choice(SENTENCES).format(
        a=a,
        b=b,
        place=rng.choice(PLACES),
        object=rng.choice(OBJECTS),
        topic=rng.choice(TOPICS),
        weather=rng.choice(WEATHER),
        feeling=rng.choice(FEELINGS),
    )
    return text[0].upper() + text[1:]


def text_of_words(rng: random.Random, words: int) -> str:
    """Whole sentences adding up to about ``words`` words (at least one sentence).

    A text that the package's loop detector would reject (chance repeats of
    the same sentence shape) is drawn again, as a model would be asked again.
    """
    while True:
        parts: list[str] = []
        count = 0
        while count < words:
            parts.append(sentence(rng))
            count += len(parts[-1].split())
        text = " ".join(parts)
        if not is_looping(text):
            return text


def paragraph_length(rng: random.Random, mean_words: int) -> int:
    """A paragraph length drawn around ``mean_words`` (sd 20%, within 50%-150%)."""
    drawn = rng.gauss(mean_words, 0.2 * mean_words)
    return int(min(1.5 * mean_words, max(0.5 * mean_words, drawn)))


def paragraph(rng: random.Random, mean_words: int) -> str:
    """A paragraph of realistic, varied length."""
    return text_of_words(rng, paragraph_length(rng, mean_words))


def summary_of(text: str) -> str:
    """A one-sentence summary naming who, where and what, as the memory model writes it."""
    first = text.split(". ")[0].rstrip(".")
    return f"In this paragraph: {first}."


@dataclass(frozen=True)
class PlantedFact:
    """A fact introduced once, early, and referred to indirectly later."""

    sentence: str
    """The sentence that introduces the fact (a new name, object and place)."""
    summary: str
    """The summary the memory model would write for the paragraph holding it."""
    queries: tuple[str, ...]
    """Later plans that need the fact but do not quote it."""
    paraphrases: tuple[str, ...] = ()
    """Later plans that need the fact and share no content word with its sentence."""


PLANTED_FACTS = [
    PlantedFact(
        "A retired cartographer called Velimir Straka pressed a brass astrolabe into Ines's "
        "hands and told her to hide it in the bell tower of Saint Orm, above the rusted clock.",
        "Velimir Straka, an old mapmaker, gives Ines a brass astrolabe to hide in the bell "
        "tower of Saint Orm.",
        (
            "Ines climbs the old church tower to recover the navigation instrument the mapmaker "
            "entrusted to her.",
            "Someone goes looking for the gift Straka left, still hidden above the broken clock.",
            "The instrument for reading the stars is stolen from its hiding place high above "
            "the town.",
        ),
        (
            "She climbs the church steeple to fetch the star-measuring device the old mapmaker "
            "gave her.",
            "The navigation instrument from the elderly map maker is missing from its secret "
            "spot up among the chimes.",
        ),
    ),
    PlantedFact(
        "Under the floor of the abandoned smokehouse at Karsby Point, Oskar buried a sealed "
        "tin of silver coins stamped with a crowned heron.",
        "Oskar buries a tin of silver coins marked with a crowned heron under the smokehouse "
        "at Karsby Point.",
        (
            "Oskar needs money and remembers the treasure he put under the old fish-curing shed.",
            "A coin with a heron and a crown turns up at the market, and Oskar goes pale.",
        ),
        (
            "Short of money, he digs up the treasure he put beneath the old fish-curing shed.",
            "A piece of money showing a royal wading bird appears at the market, and the "
            "fisherman goes pale.",
        ),
    ),
    PlantedFact(
        "The sailor Benedek Holm, who had a tattoo of a swallow on his neck, confessed to "
        "Petra that he had sunk the schooner Amaranth on purpose for the insurance.",
        "Benedek Holm, a sailor with a swallow tattoo, confesses to Petra that he sank the "
        "Amaranth deliberately.",
        (
            "Petra decides whether to tell the court what the tattooed seaman admitted to her.",
            "The insurance company reopens the case of the wrecked schooner and questions Holm.",
            "A man with a bird inked on his neck is seen again on the quay.",
        ),
        (
            "She weighs whether to tell the judge what the inked seaman admitted about wrecking "
            "the ship deliberately.",
            "A man with a small bird drawn into the skin below his jaw is seen again on the quay.",
        ),
    ),
    PlantedFact(
        "In a locked drawer of the pharmacy on Tanner's Lane, Lise found a vial of belladonna "
        "labelled in her dead mother's handwriting.",
        "Lise finds a vial of belladonna labelled by her late mother in the pharmacy on "
        "Tanner's Lane.",
        (
            "Lise returns to the chemist's shop to find out why her mother kept the poison.",
            "The doctor's widow is accused of poisoning, and Lise thinks of the little bottle "
            "with the familiar handwriting.",
        ),
        (
            "The girl goes back to the chemist's shop to learn why her late parent kept the "
            "poison.",
            "Someone is accused of poisoning, and she thinks of the little bottle with the "
            "familiar script.",
        ),
    ),
    PlantedFact(
        "Jonah traded his grandfather's ivory chess set to a travelling dealer named Anselm "
        "Vogt for passage on the steamer to Riga.",
        "Jonah trades his grandfather's ivory chess set to the dealer Anselm Vogt for a "
        "ticket to Riga.",
        (
            "Jonah regrets giving away the family game pieces and searches for the merchant "
            "who took them.",
            "Vogt comes back to the town with something Jonah once owned.",
        ),
        (
            "He regrets giving away the family game pieces and searches for the merchant who "
            "took them.",
            "The peddler returns carrying something the young man once owned, bought in exchange "
            "for a ticket across the Baltic.",
        ),
    ),
    PlantedFact(
        "Beneath the third pew of the drowned church at Greywater Fen, Mirela hid a leather "
        "diary written in a cipher of numbers.",
        "Mirela hides an encrypted leather diary beneath a pew of the drowned church at "
        "Greywater Fen.",
        (
            "Mirela wades back into the flooded chapel in the marsh to fetch the coded journal.",
            "Someone has cracked the numbers in Mirela's secret book and knows where she hid it.",
        ),
        (
            "She wades into the flooded chapel in the marsh to fetch the coded journal.",
            "Someone has cracked the secret book of digits and knows where she concealed it.",
        ),
    ),
    PlantedFact(
        "The harbour master kept a pearl-handled revolver in the hollow base of the brass "
        "ship's bell that hung at the Mariners' Rest inn.",
        "The harbour master hides a pearl-handled revolver inside the ship's bell at the "
        "Mariners' Rest.",
        (
            "Shots are fired at night, and Tomas suspects the weapon concealed in the inn's bell.",
            "The harbour master reaches for the gun he kept at the sailors' inn.",
        ),
        (
            "Shots are fired at night, and Tomas suspects the weapon concealed in the sailors' "
            "tavern.",
            "The port official reaches for the gun he stashed inside the chime at the "
            "seamen's pub.",
        ),
    ),
    PlantedFact(
        "On the night of the eclipse, Arlo saw a woman in a red oilskin coat row out alone to "
        "the rock called the Widow's Tooth and not come back.",
        "During the eclipse Arlo sees a woman in a red oilskin row out to the Widow's Tooth "
        "and vanish.",
        (
            "Arlo rows to the lonely rock where he watched the woman in the red coat disappear.",
            "A red coat washes ashore, and Arlo remembers the night the sun went dark.",
        ),
        (
            "He takes a boat to the lonely crag where he watched the lady in scarlet disappear.",
            "A crimson jacket washes ashore, and he remembers the day the sun went dark.",
        ),
    ),
]


def planted_paragraph(rng: random.Random, fact: PlantedFact, mean_words: int) -> str:
    """A paragraph of ordinary story with ``fact`` in its middle."""
    before = text_of_words(rng, paragraph_length(rng, mean_words) // 2)
    after = text_of_words(rng, paragraph_length(rng, mean_words) // 2)
    return f"{before} {fact.sentence} {after}"
