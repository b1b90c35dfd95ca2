"""Deterministic news about Velo Cycles and the bicycle industry for the simulated news API.

Every day has 3-8 items drawn from templates (launches, awards, reviews, earnings, recalls,
supply chain, industry) with a good/bad/neutral mix. Now and then a multi-day story runs: a
recall, an award season, a supply crunch or a record quarter, which tilts that week's coverage
towards one product and one tone. A day's items depend only on (seed, date), so any window of
any day gives the same answers, and every url is unique (date and position are in its path).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from velo.settings import COMPANY_TICKER

EPOCH_DATE = date(2010, 1, 1)
MIN_ITEMS, MAX_ITEMS = 3, 8
STORY_CHANCE_PER_WEEK = 0.15
STORY_SHARE = 0.7  # of a story day's items that belong to the story
TONE_WEIGHTS = {"good": 0.45, "neutral": 0.3, "bad": 0.25}
# The vendor's own (black-box) score: centred on the template's tone, with noise, so it mostly
# agrees with the text and sometimes does not, as a real vendor's does.
VENDOR_SCORE_MEAN = {"good": 0.3, "neutral": 0.02, "bad": -0.3}
VENDOR_SCORE_SPREAD = 0.15
# Alpha Vantage's buckets (its sentiment_score_definition): upper bounds, checked in order.
VENDOR_LABELS = (
    (-0.35, True, "Bearish"),
    (-0.15, True, "Somewhat-Bearish"),
    (0.15, False, "Neutral"),
    (0.35, False, "Somewhat-Bullish"),
)


@dataclass(frozen=True)
class Template:
    tone: str  # good | neutral | bad
    title: str
    summary: str
    topics: tuple[str, ...]


def t(tone: str, title: str, summary: str, *topics: str) -> Template:
    return Template(tone, title, summary, topics)


TEMPLATES: tuple[Template, ...] = (
    t(
        "good",
        "Velo Cycles launches the {product}, a lighter and faster {line}",
        "The new {product} impressed early riders with a smooth ride and excellent handling; "
        "dealers report strong pre-orders.",
        "Technology",
        "Retail & Wholesale",
    ),
    t(
        "good",
        "{product} wins {award}",
        "Judges praised the {product} as a brilliant, beautifully finished {line} and the best "
        "value in its class.",
        "Technology",
    ),
    t(
        "good",
        "Review: the {product} is a joy to ride",
        "Our testers loved the {product}: comfortable, confident and fun on every surface. "
        "Highly recommended.",
        "Technology",
    ),
    t(
        "good",
        "Velo Cycles beats expectations with {pct}% revenue growth in {quarter}",
        "Strong demand for bikes and accessories lifted sales; management raised its outlook and "
        "celebrated record margins.",
        "Earnings",
        "Financial Markets",
    ),
    t(
        "good",
        "Velo Cycles opens flagship store in {city}",
        "Hundreds of happy riders joined the opening party; the company plans to hire {staff} "
        "staff and expand its successful service centres.",
        "Retail & Wholesale",
    ),
    t(
        "good",
        "Velo Cycles expands factory, adding {staff} jobs",
        "The expansion boosts capacity for the popular {product} and strengthens the local "
        "economy, officials said.",
        "Manufacturing",
        "Economy - Macro",
    ),
    t(
        "good",
        "Cycling boom: bike sales up {pct}% as commuters embrace two wheels",
        "Retailers enjoy a surge in demand; industry analysts expect healthy growth to continue "
        "this year.",
        "Retail & Wholesale",
        "Economy - Macro",
    ),
    t(
        "good",
        "Velo Cycles team rider wins stage on the {product}",
        "A superb victory for the team; fans cheered as the {product} proved fast and reliable "
        "in the mountains.",
        "Technology",
    ),
    t(
        "neutral",
        "Velo Cycles to present its {year} range at the {city} bike show",
        "The company will show updated {line} models and accessories; prices are expected "
        "to be announced at the event.",
        "Retail & Wholesale",
    ),
    t(
        "neutral",
        "{competitor} updates its {line} line-up",
        "The new models arrive in stores next month; the range competes directly with the "
        "{product} from Velo Cycles.",
        "Retail & Wholesale",
    ),
    t(
        "neutral",
        "Velo Cycles appoints new head of operations",
        "The executive joins from {competitor} and will oversee manufacturing and logistics "
        "from the {city} office.",
        "Manufacturing",
    ),
    t(
        "neutral",
        "Bicycle industry meets in {city} to discuss standards",
        "Manufacturers including Velo Cycles and {competitor} discussed frame testing and "
        "component standards for {year}.",
        "Manufacturing",
        "Technology",
    ),
    t(
        "neutral",
        "Velo Cycles reports {quarter} results in line with estimates",
        "Revenue and margins were roughly flat; the company kept its guidance unchanged.",
        "Earnings",
        "Financial Markets",
    ),
    t(
        "bad",
        "Velo Cycles recalls {count} {product} bikes over fork defect",
        "The faulty fork can crack and cause crashes; several riders reported injuries. "
        "Owners should stop riding immediately.",
        "Manufacturing",
        "Retail & Wholesale",
    ),
    t(
        "bad",
        "Velo Cycles misses forecasts as sales fall {pct}% in {quarter}",
        "Weak demand and heavy discounting hurt profits; shares dropped after the disappointing "
        "report.",
        "Earnings",
        "Financial Markets",
    ),
    t(
        "bad",
        "Parts shortage delays {product} deliveries",
        "A shortage of components from {supplier} left dealers frustrated and customers angry "
        "about long delays.",
        "Manufacturing",
        "Economy - Macro",
    ),
    t(
        "bad",
        "Review: the {product} disappoints",
        "Our testers found the {product} heavy, noisy and overpriced, with poor brakes and an "
        "uncomfortable saddle.",
        "Technology",
    ),
    t(
        "bad",
        "Velo Cycles faces lawsuit after {product} crash",
        "A rider injured in a serious accident sued the company, alleging a dangerous frame "
        "failure.",
        "Manufacturing",
    ),
    t(
        "bad",
        "Strike halts production at Velo Cycles plant in {city}",
        "Workers protested over pay and unsafe conditions; the dispute threatens shipments "
        "of the {product}.",
        "Manufacturing",
        "Economy - Macro",
    ),
    t(
        "bad",
        "Bike market slump: retailers struggle with unsold stock",
        "Falling demand and bloated inventories hit the industry hard; {competitor} warned "
        "of losses.",
        "Retail & Wholesale",
        "Economy - Macro",
    ),
)

# A story's templates: its opening, then follow-ups, all about one product.
STORIES: dict[str, tuple[Template, ...]] = {
    "recall": (
        t(
            "bad",
            "Velo Cycles recalls {count} {product} bikes after crash reports",
            "Riders reported broken frames and injuries; regulators opened an investigation into "
            "the dangerous defect.",
            "Manufacturing",
            "Retail & Wholesale",
        ),
        t(
            "bad",
            "{product} recall widens as more injuries reported",
            "The company admitted the problem is worse than feared; angry owners criticised the "
            "slow response.",
            "Manufacturing",
        ),
        t(
            "bad",
            "Dealers frustrated by chaotic {product} recall",
            "Shops complain about missing replacement parts and lost sales during the recall.",
            "Retail & Wholesale",
        ),
        t(
            "bad",
            "Velo Cycles shares fall on recall costs",
            "Analysts warn the recall will hurt {quarter} profits and damage the brand.",
            "Financial Markets",
            "Earnings",
        ),
    ),
    "awards": (
        t(
            "good",
            "{product} named {award}",
            "An outstanding {line}: the jury celebrated its superb design and excellent value.",
            "Technology",
        ),
        t(
            "good",
            "Riders love the award-winning {product}",
            "Owners praise the comfortable, fast and reliable {product}; dealers report strong "
            "demand.",
            "Retail & Wholesale",
        ),
        t(
            "good",
            "Velo Cycles celebrates a great awards season",
            "The {product} collected its third award this month, a fantastic success for the team.",
            "Technology",
        ),
    ),
    "supply": (
        t(
            "bad",
            "Supply crunch: {supplier} shortage hits Velo Cycles",
            "Missing components stall production of the {product}; delays could last weeks.",
            "Manufacturing",
            "Economy - Macro",
        ),
        t(
            "bad",
            "{product} waiting lists grow as shortages worsen",
            "Frustrated customers cancel orders amid painful delays and rising prices.",
            "Retail & Wholesale",
        ),
        t(
            "neutral",
            "Velo Cycles looks for new suppliers",
            "The company is talking to suppliers beyond {supplier} for {year}.",
            "Manufacturing",
        ),
    ),
    "record": (
        t(
            "good",
            "Record quarter: Velo Cycles sales jump {pct}%",
            "Booming demand for the {product} drove the best results in company history; profits "
            "soared.",
            "Earnings",
            "Financial Markets",
        ),
        t(
            "good",
            "Velo Cycles raises guidance after strong {quarter}",
            "Confident management expects continued growth and will reward shareholders.",
            "Earnings",
            "Financial Markets",
        ),
        t(
            "good",
            "Analysts upgrade Velo Cycles on {product} success",
            "Brokers praise the excellent execution and a healthy order book.",
            "Financial Markets",
        ),
    ),
}
STORY_KINDS = tuple(STORIES)

PRODUCTS = (
    ("Velo Ridge 900", "mountain bike"),
    ("Velo Ridge 500", "mountain bike"),
    ("Velo Aero SL", "road bike"),
    ("Velo Strada 300", "road bike"),
    ("Velo Tourer 3000", "touring bike"),
    ("Velo Tourer 1000", "touring bike"),
    ("Velo Trail helmet", "helmet"),
    ("Velo Carbon wheelset", "wheelset"),
)
COMPETITORS = ("Summit Bikes", "Northwind Bicycles", "Apex Cycling", "Ridgeway Cycles")
COMPETITOR_TICKERS = dict(zip(COMPETITORS, ("SMBK", "NWBC", "APXC", "RDGC"), strict=True))
SUPPLIERS = ("Kanto Drivetrains", "Meridian Alloys", "Orbis Components", "Baltic Tyres")
CITIES = ("Seattle", "Denver", "Austin", "Portland", "Chicago", "Toronto", "London", "Munich")
AWARDS = (
    "Bike of the Year",
    "the Design & Innovation Award",
    "Editor's Choice",
    "Best Value of the Year",
)
NEWS_OUTLETS = (
    ("Bicycle Retailer", "bicycleretailer.example"),
    ("Cycling Weekly", "cyclingweekly.example"),
    ("BikeRadar", "bikeradar.example"),
    ("Reuters", "reuters.example"),
    ("Bloomberg", "bloomberg.example"),
    ("VeloNews", "velonews.example"),
    ("Outdoor Business Journal", "outdoorbusiness.example"),
)
AUTHORS = (
    "Anna Keller",
    "Ben Ortiz",
    "Chloe Martin",
    "David Osei",
    "Emma Larsen",
    "Felix Wong",
    "Grace Müller",
    "Hugo Silva",
    "Ines Novak",
    "Jack Turner",
)


@dataclass(frozen=True)
class Story:
    kind: str
    start: date
    days: int
    product: int  # index into PRODUCTS

    def covers(self, day: date) -> bool:
        return self.start <= day < self.start + timedelta(days=self.days)


def day_rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, 0x4E, *key])


def week_story(seed: int, week: int) -> Story | None:
    """The story starting in this week (weeks counted from the epoch), if any."""
    rng = day_rng(seed, 1, week)
    if rng.random() >= STORY_CHANCE_PER_WEEK:
        return None
    return Story(
        kind=STORY_KINDS[rng.integers(len(STORY_KINDS))],
        start=EPOCH_DATE + timedelta(days=7 * week + int(rng.integers(7))),
        days=int(rng.integers(3, 8)),
        product=int(rng.integers(len(PRODUCTS))),
    )


def story_on(seed: int, day: date) -> Story | None:
    week = (day - EPOCH_DATE).days // 7
    for candidate in (week_story(seed, week), week_story(seed, week - 1)):
        if candidate is not None and candidate.covers(day):
            return candidate
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def fill(template: Template, rng: np.random.Generator, day: date, product: int) -> dict[str, str]:
    name, line = PRODUCTS[product]
    values = {
        "product": name,
        "line": line,
        "competitor": COMPETITORS[rng.integers(len(COMPETITORS))],
        "supplier": SUPPLIERS[rng.integers(len(SUPPLIERS))],
        "city": CITIES[rng.integers(len(CITIES))],
        "award": AWARDS[rng.integers(len(AWARDS))],
        "pct": str(int(rng.integers(3, 26))),
        "count": f"{int(rng.integers(2, 60)) * 100:,}",
        "staff": str(int(rng.integers(12, 150))),
        "quarter": f"Q{(day.month - 1) // 3 + 1}",
        "year": str(day.year + (1 if day.month >= 9 else 0)),
    }
    return {
        "title": template.title.format(**values),
        "summary": template.summary.format(**values),
    }


def pick_template(rng: np.random.Generator, story: Story | None) -> Template:
    if story is not None and rng.random() < STORY_SHARE:
        options = STORIES[story.kind]
        return options[rng.integers(len(options))]
    tone = rng.choice(list(TONE_WEIGHTS), p=list(TONE_WEIGHTS.values()))
    options = tuple(item for item in TEMPLATES if item.tone == tone)
    return options[rng.integers(len(options))]


def vendor_label(score: float) -> str:
    for bound, inclusive, label in VENDOR_LABELS:
        if score < bound or (inclusive and score == bound):
            return label
    return "Bullish"


def vendor_score(rng: np.random.Generator, centre: float) -> float:
    return round(float(np.clip(rng.normal(centre, VENDOR_SCORE_SPREAD), -1, 1)), 6)


def ticker_entry(ticker: str, relevance: float, score: float) -> dict[str, str]:
    """One ticker_sentiment entry; Alpha Vantage sends these numbers as strings."""
    return {
        "ticker": ticker,
        "relevance_score": f"{relevance:.6f}",
        "ticker_sentiment_score": f"{score:.6f}",
        "ticker_sentiment_label": vendor_label(score),
    }


def vendor_sentiment(rng: np.random.Generator, tone: str, text: str) -> dict[str, Any]:
    """overall_sentiment_score/label and ticker_sentiment the way Alpha Vantage sends them.

    Velo Cycles is always listed (the feed is queried for it), highly relevant when the text
    names it; a competitor named in the text gets its own entry.
    """
    overall = vendor_score(rng, VENDOR_SCORE_MEAN[tone])
    named = "Velo" in text
    relevance = rng.uniform(0.5, 1.0) if named else rng.uniform(0.05, 0.3)
    tickers = [ticker_entry(COMPANY_TICKER, relevance, vendor_score(rng, overall))]
    tickers += [
        ticker_entry(COMPETITOR_TICKERS[name], rng.uniform(0.1, 0.6), vendor_score(rng, 0.0))
        for name in COMPETITORS
        if name in text
    ]
    return {
        "overall_sentiment_score": overall,
        "overall_sentiment_label": vendor_label(overall),
        "ticker_sentiment": tickers,
    }


@lru_cache(maxsize=8192)
def _day_items(seed: int, day: date) -> tuple[tuple[datetime, dict[str, Any]], ...]:
    rng = day_rng(seed, 2, day.toordinal())
    vendor_rng = day_rng(seed, 3, day.toordinal())  # its own stream: the texts stay as they were
    story = story_on(seed, day)
    count = int(rng.integers(MIN_ITEMS, MAX_ITEMS + 1))
    seconds = np.sort(rng.choice(86_400, size=count, replace=False))
    start = datetime.combine(day, datetime.min.time())
    items = []
    for position, second in enumerate(seconds, start=1):
        template = pick_template(rng, story)
        in_story = story is not None and template in STORIES[story.kind]
        product = story.product if in_story else int(rng.integers(len(PRODUCTS)))
        text = fill(template, rng, day, product)
        source, domain = NEWS_OUTLETS[rng.integers(len(NEWS_OUTLETS))]
        authors = sorted(rng.choice(AUTHORS, size=int(rng.integers(1, 3)), replace=False))
        published = start + timedelta(seconds=int(second))
        url = f"https://{domain}/news/{day:%Y/%m/%d}/{slug(text['title'])}-{position}"
        topics = [
            {"topic": topic, "relevance_score": f"{rng.uniform(0.3, 1.0):.6f}"}
            for topic in template.topics
        ]
        item = {
            **text,
            "url": url,
            "time_published": published.strftime("%Y%m%dT%H%M%S"),
            "authors": [str(a) for a in authors],
            "banner_image": None,
            "source": source,
            "category_within_source": "n/a",
            "source_domain": domain,
            "topics": topics,
            **vendor_sentiment(vendor_rng, template.tone, f"{text['title']} {text['summary']}"),
        }
        items.append((published, item))
    return tuple(items)


def items_between(seed: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Items published in [start, end] (naive UTC), oldest first; copies, safe to change."""
    day = max(start.date(), EPOCH_DATE)
    found = []
    while day <= end.date():
        found.extend(
            copy.deepcopy(item)
            for published, item in _day_items(seed, day)
            if start <= published <= end
        )
        day += timedelta(days=1)
    return found
