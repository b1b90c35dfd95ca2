"""Static reference data of Velo Cycles: product range, geography, sales reasons and name pools.

Nothing here depends on the seed: every simulated company sells the same products in the same
places; only its customers, orders and price moves differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (category id, name) and (subcategory id, category id, name, product-number prefix)
CATEGORIES = ((1, "Bikes"), (2, "Components"), (3, "Clothing"), (4, "Accessories"))

# Share of order lines per category: bikes are rarer lines but dominate revenue.
CATEGORY_LINE_SHARE = {1: 0.25, 2: 0.15, 3: 0.25, 4: 0.35}

# Standard cost as a fraction of list price: bikes earn 10-25 %, components 25-40 %,
# clothing and accessories 40-60 %.
CATEGORY_COST_RATIO = {1: (0.75, 0.90), 2: (0.60, 0.75), 3: (0.40, 0.60), 4: (0.40, 0.60)}

# Velo Cycles builds bikes and components itself (work orders); it buys in the rest.
MANUFACTURED_CATEGORIES = frozenset({1, 2})

# subcategory name -> (category id, product-number prefix, models)
# model: (name, list price, colors, sizes)
_RANGE: dict[
    str, tuple[int, str, tuple[tuple[str, float, tuple[str, ...], tuple[str, ...]], ...]]
] = {
    "Mountain Bikes": (
        1,
        "BK-M",
        (
            ("Mountain-100", 3399.99, ("Silver", "Black"), ("38", "42", "46")),
            ("Mountain-200", 2294.99, ("Silver", "Black"), ("42", "46")),
            ("Mountain-300", 1079.99, ("Black",), ("38", "44", "48")),
            ("Mountain-500", 539.99, ("Silver",), ("40", "44", "48")),
        ),
    ),
    "Road Bikes": (
        1,
        "BK-R",
        (
            ("Road-150", 3499.99, ("Red",), ("44", "48", "52")),
            ("Road-250", 2449.99, ("Red", "Black"), ("48", "52")),
            ("Road-550-W", 1119.99, ("Yellow",), ("40", "42", "44")),
            ("Road-650", 779.99, ("Red", "Black"), ("52", "58")),
            ("Road-750", 539.99, ("Black",), ("48", "52", "58")),
        ),
    ),
    "Touring Bikes": (
        1,
        "BK-T",
        (
            ("Touring-1000", 2379.99, ("Blue", "Yellow"), ("46", "50", "54")),
            ("Touring-2000", 1209.99, ("Blue",), ("46", "50")),
            ("Touring-3000", 739.99, ("Blue", "Yellow"), ("50", "54")),
        ),
    ),
    "Mountain Frames": (
        2,
        "FR-M",
        (
            ("HL Mountain Frame", 1364.50, ("Silver", "Black"), ("42", "46")),
            ("ML Mountain Frame", 348.76, ("Black",), ("40", "44")),
            ("LL Mountain Frame", 249.79, ("Silver",), ("42",)),
        ),
    ),
    "Road Frames": (
        2,
        "FR-R",
        (
            ("HL Road Frame", 1431.50, ("Red",), ("52", "58")),
            ("LL Road Frame", 337.22, ("Black",), ("52",)),
        ),
    ),
    "Touring Frames": (
        2,
        "FR-T",
        (
            ("HL Touring Frame", 1003.91, ("Blue",), ("50",)),
            ("LL Touring Frame", 333.42, ("Yellow",), ("54",)),
        ),
    ),
    "Wheels": (
        2,
        "WH",
        (
            ("HL Mountain Front Wheel", 300.22, (), ()),
            ("LL Mountain Front Wheel", 60.75, (), ()),
            ("HL Road Front Wheel", 330.06, (), ()),
            ("Touring Front Wheel", 218.01, (), ()),
            ("HL Mountain Rear Wheel", 327.22, (), ()),
            ("HL Road Rear Wheel", 357.06, (), ()),
        ),
    ),
    "Handlebars": (
        2,
        "HB",
        (
            ("HL Mountain Handlebars", 120.27, (), ()),
            ("ML Road Handlebars", 61.92, (), ()),
            ("HL Touring Handlebars", 91.57, (), ()),
        ),
    ),
    "Brakes": (2, "BR", (("Front Brakes", 106.50, (), ()), ("Rear Brakes", 106.50, (), ()))),
    "Chains": (2, "CH", (("Chain", 20.24, ("Silver",), ()),)),
    "Cranksets": (2, "CS", (("HL Crankset", 404.99, (), ()), ("ML Crankset", 256.49, (), ()))),
    "Derailleurs": (
        2,
        "DR",
        (("Front Derailleur", 91.49, (), ()), ("Rear Derailleur", 121.46, (), ())),
    ),
    "Forks": (2, "FK", (("HL Fork", 229.49, (), ()), ("ML Fork", 175.49, (), ()))),
    "Pedals": (
        2,
        "PD",
        (
            ("HL Mountain Pedal", 80.99, (), ()),
            ("Touring Pedal", 80.99, (), ()),
            ("LL Road Pedal", 40.49, (), ()),
        ),
    ),
    "Saddles": (
        2,
        "SE",
        (
            ("HL Mountain Seat", 52.64, (), ()),
            ("ML Road Seat", 37.99, (), ()),
            ("Touring Seat", 31.99, (), ()),
        ),
    ),
    "Jerseys": (
        3,
        "LJ",
        (
            ("Long-Sleeve Logo Jersey", 49.99, ("Multi",), ("S", "M", "L", "XL")),
            ("Short-Sleeve Classic Jersey", 53.99, ("Yellow",), ("S", "M", "L")),
        ),
    ),
    "Shorts": (
        3,
        "SH",
        (
            ("Men's Sports Shorts", 59.99, ("Black",), ("S", "M", "L")),
            ("Women's Mountain Shorts", 69.99, ("Black",), ("S", "M")),
        ),
    ),
    "Socks": (
        3,
        "SO",
        (
            ("Racing Socks", 8.99, ("White",), ("M", "L")),
            ("Mountain Bike Socks", 9.50, ("White",), ("M", "L")),
        ),
    ),
    "Caps": (3, "CA", (("Velo Logo Cap", 8.99, ("Multi",), ()),)),
    "Gloves": (
        3,
        "GL",
        (
            ("Full-Finger Gloves", 37.99, ("Black",), ("S", "M", "L")),
            ("Half-Finger Gloves", 24.49, ("Black",), ("S", "M")),
        ),
    ),
    "Vests": (3, "VE", (("Classic Vest", 63.50, ("Blue",), ("S", "M")),)),
    "Helmets": (
        4,
        "HL",
        (
            ("Sport-100 Helmet", 34.99, ("Red", "Black", "Blue"), ()),
            ("Pro Helmet", 129.99, ("Black",), ()),
        ),
    ),
    "Bottles and Cages": (
        4,
        "BC",
        (
            ("Water Bottle - 30 oz.", 5.99, (), ()),
            ("Mountain Bottle Cage", 9.99, (), ()),
            ("Road Bottle Cage", 8.99, (), ()),
        ),
    ),
    "Lights": (
        4,
        "LT",
        (
            ("Headlights - Dual-Beam", 34.99, (), ()),
            ("Headlights - Weatherproof", 44.99, (), ()),
            ("Taillights - Battery-Powered", 13.99, (), ()),
        ),
    ),
    "Locks": (4, "LK", (("Cable Lock", 25.00, (), ()), ("U-Lock", 49.99, (), ()))),
    "Pumps": (4, "PU", (("Minipump", 19.99, (), ()), ("Floor Pump", 54.99, (), ()))),
    "Tires and Tubes": (
        4,
        "TT",
        (
            ("Mountain Tire Tube", 5.49, (), ()),
            ("Road Tire Tube", 5.99, (), ()),
            ("HL Mountain Tire", 35.00, (), ()),
            ("ML Road Tire", 24.99, (), ()),
            ("Touring Tire", 28.99, (), ()),
        ),
    ),
    "Fenders": (4, "FE", (("Fender Set - Mountain", 21.98, (), ()),)),
    "Bike Racks": (4, "RA", (("Hitch Rack - 4-Bike", 120.00, (), ()),)),
    "Cleaners": (4, "CL", (("Bike Wash - Dissolver", 7.95, (), ()),)),
    "Hydration Packs": (4, "HY", (("Hydration Pack - 70 oz.", 54.99, ("Silver",), ()),)),
    "Panniers": (4, "PA", (("Touring Panniers", 125.00, ("Grey",), ()),)),
    "Bike Stands": (4, "ST", (("All-Purpose Bike Stand", 149.00, (), ()),)),
}

SUBCATEGORIES = tuple(
    (index, category_id, name)
    for index, (name, (category_id, _, _)) in enumerate(_RANGE.items(), 1)
)


@dataclass(frozen=True)
class Products:
    """The product range as parallel numpy columns (index i is product_id i + 1)."""

    product_id: np.ndarray
    name: list[str]
    product_number: list[str]
    color: list[str | None]
    size: list[str | None]
    subcategory_id: np.ndarray
    category_id: np.ndarray
    list_price: np.ndarray
    standard_cost: np.ndarray
    line_weight: np.ndarray  # probability that an order line is this product
    work_weight: np.ndarray  # probability that a work order builds this product

    def __len__(self) -> int:
        return len(self.product_id)


def build_products() -> Products:
    """Expand the range into variants (model x color x size) with fixed costs and popularity."""
    rng = np.random.default_rng(20_240_101)  # fixed: the range is the same in every simulation
    names, numbers, colors, sizes, subcats, cats, prices = [], [], [], [], [], [], []
    for subcategory_id, (_, (category_id, prefix, models)) in enumerate(_RANGE.items(), 1):
        for model_no, (model, price, model_colors, model_sizes) in enumerate(models, 1):
            for color in model_colors or (None,):
                for size in model_sizes or (None,):
                    label = " ".join(part for part in (model, color) if part)
                    names.append(f"{label}, {size}" if size else label)
                    code = f"{prefix}-{model_no:02d}{(color or 'U')[0]}"
                    numbers.append(f"{code}-{size}" if size else code)
                    colors.append(color)
                    sizes.append(size)
                    subcats.append(subcategory_id)
                    cats.append(category_id)
                    prices.append(price)
    category_id = np.array(cats)
    list_price = np.array(prices)
    low = np.array([CATEGORY_COST_RATIO[c][0] for c in cats])
    high = np.array([CATEGORY_COST_RATIO[c][1] for c in cats])
    standard_cost = np.round(list_price * rng.uniform(low, high), 4)
    popularity = rng.uniform(0.5, 1.5, len(cats))
    line_weight = np.zeros(len(cats))
    for category, share in CATEGORY_LINE_SHARE.items():
        in_category = category_id == category
        line_weight[in_category] = share * popularity[in_category] / popularity[in_category].sum()
    manufactured = np.isin(category_id, list(MANUFACTURED_CATEGORIES))
    work_weight = np.where(manufactured, popularity, 0.0)
    return Products(
        product_id=np.arange(1, len(cats) + 1),
        name=names,
        product_number=numbers,
        color=colors,
        size=sizes,
        subcategory_id=np.array(subcats),
        category_id=category_id,
        list_price=list_price,
        standard_cost=standard_cost,
        line_weight=line_weight / line_weight.sum(),
        work_weight=work_weight / work_weight.sum(),
    )


# (code, name, share of customers)
COUNTRIES = (
    ("US", "United States", 0.70),
    ("CA", "Canada", 0.07),
    ("GB", "United Kingdom", 0.07),
    ("DE", "Germany", 0.06),
    ("FR", "France", 0.05),
    ("AU", "Australia", 0.05),
)

# Postal code = the city's prefix + this pattern (d digit, L letter, anything else literal).
POSTAL_SUFFIX = {"US": "dd", "CA": " dLd", "GB": " dLL", "DE": "ddd", "FR": "ddd", "AU": "dd"}

# (country, region code, name, weight within the country, ((city, postal prefix), ...))
# US weights: population in millions, times a cycling factor for the keen states.
REGIONS: tuple[tuple[str, str, str, float, tuple[tuple[str, str], ...]], ...] = (
    ("US", "AL", "Alabama", 5.0, (("Birmingham", "352"), ("Montgomery", "361"))),
    ("US", "AK", "Alaska", 0.7, (("Anchorage", "995"),)),
    ("US", "AZ", "Arizona", 7.2, (("Phoenix", "850"), ("Tucson", "857"))),
    ("US", "AR", "Arkansas", 3.0, (("Little Rock", "722"),)),
    (
        "US",
        "CA",
        "California",
        51.0,
        (
            ("Los Angeles", "900"),
            ("San Francisco", "941"),
            ("San Diego", "921"),
            ("San Jose", "951"),
        ),
    ),
    ("US", "CO", "Colorado", 8.5, (("Denver", "802"), ("Boulder", "803"))),
    ("US", "CT", "Connecticut", 3.6, (("Hartford", "061"),)),
    ("US", "DE", "Delaware", 1.0, (("Wilmington", "198"),)),
    ("US", "DC", "District of Columbia", 1.0, (("Washington", "200"),)),
    ("US", "FL", "Florida", 21.5, (("Miami", "331"), ("Orlando", "328"), ("Tampa", "336"))),
    ("US", "GA", "Georgia", 10.7, (("Atlanta", "303"), ("Savannah", "314"))),
    ("US", "HI", "Hawaii", 1.5, (("Honolulu", "968"),)),
    ("US", "ID", "Idaho", 1.8, (("Boise", "837"),)),
    ("US", "IL", "Illinois", 12.8, (("Chicago", "606"), ("Springfield", "627"))),
    ("US", "IN", "Indiana", 6.8, (("Indianapolis", "462"),)),
    ("US", "IA", "Iowa", 3.2, (("Des Moines", "503"),)),
    ("US", "KS", "Kansas", 2.9, (("Wichita", "672"),)),
    ("US", "KY", "Kentucky", 4.5, (("Louisville", "402"),)),
    ("US", "LA", "Louisiana", 4.7, (("New Orleans", "701"),)),
    ("US", "ME", "Maine", 1.4, (("Portland", "041"),)),
    ("US", "MD", "Maryland", 6.2, (("Baltimore", "212"),)),
    ("US", "MA", "Massachusetts", 8.4, (("Boston", "021"), ("Cambridge", "021"))),
    ("US", "MI", "Michigan", 10.1, (("Detroit", "482"), ("Grand Rapids", "495"))),
    ("US", "MN", "Minnesota", 6.8, (("Minneapolis", "554"), ("Saint Paul", "551"))),
    ("US", "MS", "Mississippi", 3.0, (("Jackson", "392"),)),
    ("US", "MO", "Missouri", 6.2, (("St. Louis", "631"), ("Kansas City", "641"))),
    ("US", "MT", "Montana", 1.1, (("Billings", "591"),)),
    ("US", "NE", "Nebraska", 2.0, (("Omaha", "681"),)),
    ("US", "NV", "Nevada", 3.1, (("Las Vegas", "891"), ("Reno", "895"))),
    ("US", "NH", "New Hampshire", 1.4, (("Manchester", "031"),)),
    ("US", "NJ", "New Jersey", 9.3, (("Newark", "071"), ("Jersey City", "073"))),
    ("US", "NM", "New Mexico", 2.1, (("Albuquerque", "871"),)),
    ("US", "NY", "New York", 20.2, (("New York", "100"), ("Brooklyn", "112"), ("Buffalo", "142"))),
    ("US", "NC", "North Carolina", 10.4, (("Charlotte", "282"), ("Raleigh", "276"))),
    ("US", "ND", "North Dakota", 0.8, (("Fargo", "581"),)),
    ("US", "OH", "Ohio", 11.8, (("Columbus", "432"), ("Cleveland", "441"))),
    ("US", "OK", "Oklahoma", 4.0, (("Oklahoma City", "731"),)),
    ("US", "OR", "Oregon", 6.7, (("Portland", "972"), ("Eugene", "974"))),
    ("US", "PA", "Pennsylvania", 13.0, (("Philadelphia", "191"), ("Pittsburgh", "152"))),
    ("US", "RI", "Rhode Island", 1.1, (("Providence", "029"),)),
    ("US", "SC", "South Carolina", 5.1, (("Charleston", "294"),)),
    ("US", "SD", "South Dakota", 0.9, (("Sioux Falls", "571"),)),
    ("US", "TN", "Tennessee", 6.9, (("Nashville", "372"), ("Memphis", "381"))),
    ("US", "TX", "Texas", 29.1, (("Houston", "770"), ("Dallas", "752"), ("Austin", "787"))),
    ("US", "UT", "Utah", 3.3, (("Salt Lake City", "841"),)),
    ("US", "VT", "Vermont", 0.9, (("Burlington", "054"),)),
    ("US", "VA", "Virginia", 8.6, (("Richmond", "232"), ("Arlington", "222"))),
    ("US", "WA", "Washington", 13.9, (("Seattle", "981"), ("Spokane", "992"), ("Tacoma", "984"))),
    ("US", "WV", "West Virginia", 1.8, (("Charleston", "253"),)),
    ("US", "WI", "Wisconsin", 5.9, (("Milwaukee", "532"), ("Madison", "537"))),
    ("US", "WY", "Wyoming", 0.6, (("Cheyenne", "820"),)),
    ("CA", "ON", "Ontario", 14.7, (("Toronto", "M5V"), ("Ottawa", "K1P"))),
    ("CA", "QC", "Quebec", 8.6, (("Montreal", "H2X"),)),
    ("CA", "BC", "British Columbia", 5.1, (("Vancouver", "V6B"), ("Victoria", "V8W"))),
    ("CA", "AB", "Alberta", 4.4, (("Calgary", "T2P"), ("Edmonton", "T5J"))),
    ("CA", "MB", "Manitoba", 1.4, (("Winnipeg", "R3C"),)),
    ("CA", "NS", "Nova Scotia", 1.0, (("Halifax", "B3H"),)),
    ("GB", "ENG", "England", 56.0, (("London", "SW1A"), ("Manchester", "M1"), ("Bristol", "BS1"))),
    ("GB", "SCT", "Scotland", 5.5, (("Edinburgh", "EH1"), ("Glasgow", "G1"))),
    ("GB", "WLS", "Wales", 3.1, (("Cardiff", "CF10"),)),
    ("GB", "NIR", "Northern Ireland", 1.9, (("Belfast", "BT1"),)),
    ("DE", "BY", "Bayern", 13.1, (("München", "80"), ("Nürnberg", "90"))),
    ("DE", "BE", "Berlin", 3.7, (("Berlin", "10"),)),
    ("DE", "HH", "Hamburg", 1.9, (("Hamburg", "20"),)),
    ("DE", "HE", "Hessen", 6.3, (("Frankfurt am Main", "60"),)),
    ("DE", "NW", "Nordrhein-Westfalen", 17.9, (("Köln", "50"), ("Düsseldorf", "40"))),
    ("DE", "BW", "Baden-Württemberg", 11.1, (("Stuttgart", "70"), ("Freiburg", "79"))),
    ("FR", "IDF", "Île-de-France", 12.3, (("Paris", "75"), ("Versailles", "78"))),
    ("FR", "ARA", "Auvergne-Rhône-Alpes", 8.0, (("Lyon", "69"), ("Grenoble", "38"))),
    ("FR", "PAC", "Provence-Alpes-Côte d'Azur", 5.1, (("Marseille", "13"), ("Nice", "06"))),
    ("FR", "OCC", "Occitanie", 5.9, (("Toulouse", "31"), ("Montpellier", "34"))),
    ("FR", "NAQ", "Nouvelle-Aquitaine", 6.0, (("Bordeaux", "33"),)),
    ("AU", "NSW", "New South Wales", 8.2, (("Sydney", "20"),)),
    ("AU", "VIC", "Victoria", 6.7, (("Melbourne", "30"),)),
    ("AU", "QLD", "Queensland", 5.2, (("Brisbane", "40"),)),
    ("AU", "WA", "Western Australia", 2.7, (("Perth", "60"),)),
    ("AU", "SA", "South Australia", 1.8, (("Adelaide", "50"),)),
)

# (sales_reason_id, name, reason_type, weight)
SALES_REASONS = (
    (1, "Price", "Other", 0.30),
    (2, "On Promotion", "Promotion", 0.15),
    (3, "Magazine Advertisement", "Marketing", 0.05),
    (4, "Television Advertisement", "Marketing", 0.04),
    (5, "Manufacturer", "Other", 0.12),
    (6, "Review", "Other", 0.12),
    (7, "Demo Event", "Marketing", 0.03),
    (8, "Sponsorship", "Marketing", 0.02),
    (9, "Quality", "Other", 0.12),
    (10, "Other", "Other", 0.05),
)

# (card type, number prefixes, length): real issuer ranges so numbers look real (and pass Luhn).
CARD_TYPES = (
    ("Visa", ("4",), 16, 0.50),
    ("MasterCard", ("51", "52", "53", "54", "55"), 16, 0.30),
    ("American Express", ("34", "37"), 15, 0.15),
    ("Diners Club", ("36",), 14, 0.05),
)

FIRST_NAMES = (
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sophie",
    "Mark",
    "Emma",
    "Lukas",
    "Chloe",
    "Oliver",
    "Mia",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Ethan",
    "Isabella",
    "Lucas",
    "Amelia",
    "Hannah",
    "Jacob",
    "Grace",
    "Leon",
    "Zoe",
    "Hugo",
    "Lea",
    "Jack",
    "Ruby",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Müller",
    "Schmidt",
    "Dubois",
    "Moreau",
    "Evans",
    "Roberts",
    "Kelly",
    "Chen",
    "Wang",
    "Patel",
)
STREETS = (
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Lake",
    "Hill",
    "Park",
    "Washington",
    "Sunset",
    "River",
    "Highland",
    "Church",
    "Mill",
    "Spring",
    "Valley",
    "Forest",
    "Meadow",
    "Ridge",
    "Bay",
    "Harbor",
    "Station",
    "Victoria",
    "King",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Lane", "Way", "Dr", "Ct")
STORE_WORDS = (
    (
        "Downhill",
        "Metro",
        "Valley",
        "Summit",
        "Urban",
        "Trail",
        "Coastal",
        "Peak",
        "Riverside",
        "Northern",
        "Golden",
        "Alpine",
        "Velocity",
        "Spoke",
        "Chain",
        "Pedal",
    ),
    (
        "Cycles",
        "Bike Shop",
        "Sports",
        "Outfitters",
        "Bicycle Works",
        "Cycle Center",
        "Riders",
        "Wheelworks",
    ),
)
