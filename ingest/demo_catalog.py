"""The made-up but realistic business behind ``mauzo demo``: a Kenyan hardware and building
supplies trader. Margins differ clearly by product line, so volume and profit tell different stories.
"""

from __future__ import annotations

# branch -> (relative size, region)
BRANCHES: dict[str, float] = {
    "Nairobi CBD": 1.00,
    "Westlands": 0.75,
    "Mombasa": 0.85,
    "Kisumu": 0.55,
    "Nakuru": 0.50,
    "Eldoret": 0.45,
    "Thika": 0.40,
    "Nyeri": 0.30,
    "Machakos": 0.28,
}

# product line -> (typical gross margin, demand weight, quantity range per line, item groups)
# item group -> list of (item name, unit list price KSh)
PRODUCT_LINES: dict[str, dict] = {
    "Building Materials": {
        "margin": 0.12, "weight": 0.30, "qty": (5, 120),
        "groups": {
            "Cement": [("Bamburi Cement 50kg", 780), ("Savannah Cement 50kg", 740), ("Mombasa Cement 50kg", 760)],
            "Steel": [("Y12 Steel Bar 12m", 1450), ("Y10 Steel Bar 12m", 1020), ("BRC Mesh A142", 6900)],
            "Roofing": [("Mabati Box Profile G30 3m", 1350), ("Mabati Versatile G28 3m", 1650), ("Ridge Cap 2m", 620)],
            "Timber": [("Cypress 2x4 per ft", 65), ("Cypress 3x2 per ft", 48), ("Plywood 18mm Sheet", 3900)],
        },
    },
    "Plumbing": {
        "margin": 0.25, "weight": 0.14, "qty": (1, 30),
        "groups": {
            "Pipes": [("PPR Pipe 20mm 4m", 420), ("PVC Pipe 4in 6m", 1650), ("GI Pipe 1in 6m", 3400)],
            "Fittings": [("PPR Elbow 20mm", 35), ("PVC Tee 4in", 260), ("Gate Valve 1in", 950)],
            "Water Storage": [("Roto Tank 1000L", 11500), ("Kentank 5000L", 48000)],
            "Sanitary": [("Close Coupled WC", 9800), ("Wash Basin Pedestal", 5200), ("Shower Mixer", 4300)],
        },
    },
    "Electrical": {
        "margin": 0.28, "weight": 0.13, "qty": (1, 40),
        "groups": {
            "Cables": [
                ("Twin Cable 2.5mm 100m", 7800), ("Single Cable 1.5mm 100m", 3600), ("Armoured Cable 16mm/m", 980),
            ],
            "Switchgear": [("Consumer Unit 8-way", 4200), ("MCB 20A", 450), ("Switch Socket 13A", 320)],
            "Lighting": [("LED Bulb 9W", 180), ("LED Floodlight 50W", 2400), ("Tube Fitting 4ft", 850)],
        },
    },
    "Paints & Finishes": {
        "margin": 0.34, "weight": 0.12, "qty": (1, 25),
        "groups": {
            "Emulsion": [("Crown Emulsion 20L", 8200), ("Basco Silk Vinyl 4L", 2300)],
            "Gloss": [("Sadolin Gloss 4L", 3100), ("Duracoat Gloss 1L", 850)],
            "Tiles": [("Floor Tile 60x60 per m2", 1250), ("Wall Tile 30x60 per m2", 980), ("Tile Adhesive 20kg", 950)],
        },
    },
    "Tools & Hardware": {
        "margin": 0.40, "weight": 0.11, "qty": (1, 12),
        "groups": {
            "Hand Tools": [("Claw Hammer", 650), ("Tape Measure 5m", 380), ("Spirit Level 600mm", 900)],
            "Power Tools": [("Angle Grinder 900W", 6800), ("Impact Drill 750W", 7900), ("Welding Machine 250A", 23000)],
            "Fasteners": [("Roofing Nails 1kg", 240), ("Wire Nails 4in 1kg", 190), ("Padlock 50mm", 780)],
        },
    },
    "Agricultural Supplies": {
        "margin": 0.17, "weight": 0.12, "qty": (2, 60),
        "groups": {
            "Fertiliser": [("DAP Fertiliser 50kg", 3500), ("CAN Fertiliser 50kg", 2900)],
            "Irrigation": [("Drip Kit 1/8 Acre", 14500), ("Garden Hose 30m", 2200), ("Knapsack Sprayer 16L", 3600)],
            "Fencing": [("Barbed Wire 25kg", 4800), ("Chain Link 1.2m x 20m", 5600)],
        },
    },
    "Solar & Energy": {
        "margin": 0.30, "weight": 0.08, "qty": (1, 10),
        "groups": {
            "Panels": [("Solar Panel 200W", 11800), ("Solar Panel 400W", 21500)],
            "Storage": [("Solar Battery 200Ah", 26500), ("Inverter 3kVA", 38000)],
            "Home Systems": [("Solar Home Kit 50W", 7500), ("Solar Water Heater 200L", 68000)],
        },
    },
}

FIRST_NAMES = (
    "Wanjiru", "Otieno", "Kamau", "Achieng", "Mutua", "Njeri", "Kiprono", "Wambui", "Omondi", "Chebet",
    "Mwangi", "Akinyi", "Kariuki", "Nyambura", "Kiptoo", "Atieno", "Ndungu", "Wairimu", "Ochieng", "Jeptoo",
    "Karanja", "Muthoni", "Barasa", "Nafula", "Wekesa", "Zawadi", "Baraka", "Amani", "Halima", "Juma",
    "Salim", "Fatuma", "Rotich", "Kemunto", "Nyaboke", "Onyango", "Mumbua", "Kioko", "Makena", "Gitau",
)
SURNAMES = (
    "Mwangi", "Odhiambo", "Kamau", "Wanjala", "Kiprotich", "Njoroge", "Ouma", "Mutiso", "Cheruiyot", "Wafula",
    "Kariuki", "Omolo", "Kimani", "Langat", "Nyaga", "Maina", "Owino", "Koech", "Mbugua", "Achola",
)
BUSINESS_WORDS = (
    "Builders", "Hardware", "Construction", "Contractors", "Enterprises", "Agencies", "Developers",
    "Homes", "Farm Supplies", "Engineering", "Investments", "Traders", "Properties", "Agrovet", "Works",
)
BUSINESS_SUFFIX = ("Ltd", "Ltd", "Limited", "& Sons", "Co.", "")
WALK_IN = "Walk-in Customer"
