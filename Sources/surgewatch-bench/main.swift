// Filled in below, once the tick pipeline builds.
