"""Pure builders of Dash components and Plotly figures; no data access here."""
