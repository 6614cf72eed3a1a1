// The exercise catalogue the service ships. Ids are the names machines use in their
// workouts' `exercise` (PROTOCOL.md 3.4: "bench_press", "leg_press"), so a machine's set
// finds its exercise by name; `machine_type` is the machines' `type` an exercise is done on,
// so a set from a machine finds the plan's exercise by the machine.
#include "rules.hpp"

namespace spotter::cloud::training {

const std::vector<Exercise>& catalogue() {
  static const std::vector<Exercise> list = {
      // Strength on machines
      {"leg_press", "Leg press", "strength", {"quadriceps", "glutes", "hamstrings"}, "machine", "leg_press"},
      {"chest_press", "Chest press", "strength", {"chest", "triceps", "shoulders"}, "machine", "chest_press"},
      {"lat_pulldown", "Lat pulldown", "strength", {"lats", "biceps"}, "machine", "lat_pulldown"},
      {"seated_row", "Seated row", "strength", {"upper_back", "lats", "biceps"}, "machine", "seated_row"},
      {"shoulder_press_machine", "Shoulder press (machine)", "strength", {"shoulders", "triceps"}, "machine", "shoulder_press"},
      {"leg_extension", "Leg extension", "strength", {"quadriceps"}, "machine", "leg_extension"},
      {"leg_curl", "Leg curl", "strength", {"hamstrings"}, "machine", "leg_curl"},
      {"pec_deck", "Pec deck", "strength", {"chest"}, "machine", "pec_deck"},
      {"hip_abduction", "Hip abduction", "strength", {"glutes"}, "machine", "hip_abductor"},
      {"hip_adduction", "Hip adduction", "strength", {"adductors"}, "machine", "hip_adductor"},
      {"calf_raise_machine", "Calf raise (machine)", "strength", {"calves"}, "machine", "calf_raise"},
      {"hack_squat", "Hack squat", "strength", {"quadriceps", "glutes"}, "machine", "hack_squat"},
      {"assisted_pull_up", "Assisted pull-up", "strength", {"lats", "biceps"}, "machine", "assisted_pull_up"},
      {"back_extension", "Back extension", "strength", {"lower_back", "glutes"}, "machine", "back_extension"},
      {"ab_crunch_machine", "Abdominal crunch (machine)", "strength", {"abs"}, "machine", "ab_crunch"},
      {"smith_squat", "Squat (Smith machine)", "strength", {"quadriceps", "glutes"}, "smith_machine", "smith_machine"},
      // Strength on a cable station
      {"cable_fly", "Cable fly", "strength", {"chest"}, "cable", "cable_station"},
      {"triceps_pushdown", "Triceps pushdown", "strength", {"triceps"}, "cable", "cable_station"},
      {"cable_curl", "Cable curl", "strength", {"biceps"}, "cable", "cable_station"},
      {"face_pull", "Face pull", "strength", {"rear_delts", "upper_back"}, "cable", "cable_station"},
      {"cable_woodchop", "Cable woodchop", "strength", {"obliques", "abs"}, "cable", "cable_station"},
      // Free weights (a rack may report them)
      {"back_squat", "Back squat", "strength", {"quadriceps", "glutes", "lower_back"}, "barbell", "rack"},
      {"front_squat", "Front squat", "strength", {"quadriceps", "glutes"}, "barbell", "rack"},
      {"bench_press", "Bench press", "strength", {"chest", "triceps", "shoulders"}, "barbell", "bench"},
      {"incline_bench_press", "Incline bench press", "strength", {"upper_chest", "shoulders", "triceps"}, "barbell", "bench"},
      {"deadlift", "Deadlift", "strength", {"hamstrings", "glutes", "lower_back"}, "barbell", std::nullopt},
      {"romanian_deadlift", "Romanian deadlift", "strength", {"hamstrings", "glutes"}, "barbell", std::nullopt},
      {"overhead_press", "Overhead press", "strength", {"shoulders", "triceps"}, "barbell", "rack"},
      {"barbell_row", "Barbell row", "strength", {"upper_back", "lats", "biceps"}, "barbell", std::nullopt},
      {"hip_thrust", "Hip thrust", "strength", {"glutes", "hamstrings"}, "barbell", std::nullopt},
      {"dumbbell_curl", "Dumbbell curl", "strength", {"biceps"}, "dumbbell", std::nullopt},
      {"dumbbell_lateral_raise", "Lateral raise", "strength", {"shoulders"}, "dumbbell", std::nullopt},
      {"dumbbell_bench_press", "Dumbbell bench press", "strength", {"chest", "triceps"}, "dumbbell", "bench"},
      {"dumbbell_lunge", "Dumbbell lunge", "strength", {"quadriceps", "glutes"}, "dumbbell", std::nullopt},
      {"dumbbell_row", "One-arm dumbbell row", "strength", {"lats", "upper_back"}, "dumbbell", std::nullopt},
      {"skull_crusher", "Skull crusher", "strength", {"triceps"}, "barbell", "bench"},
      // Bodyweight and functional
      {"pull_up", "Pull-up", "functional", {"lats", "biceps"}, "bodyweight", std::nullopt},
      {"push_up", "Push-up", "functional", {"chest", "triceps"}, "bodyweight", std::nullopt},
      {"dip", "Dip", "functional", {"triceps", "chest"}, "bodyweight", std::nullopt},
      {"plank", "Plank", "functional", {"abs", "lower_back"}, "bodyweight", std::nullopt},
      {"burpee", "Burpee", "functional", {"full_body"}, "bodyweight", std::nullopt},
      {"air_squat", "Air squat", "functional", {"quadriceps", "glutes"}, "bodyweight", std::nullopt},
      {"mountain_climber", "Mountain climber", "functional", {"abs", "shoulders"}, "bodyweight", std::nullopt},
      {"box_jump", "Box jump", "functional", {"quadriceps", "glutes", "calves"}, "box", std::nullopt},
      {"kettlebell_swing", "Kettlebell swing", "functional", {"glutes", "hamstrings", "lower_back"}, "kettlebell", std::nullopt},
      {"goblet_squat", "Goblet squat", "functional", {"quadriceps", "glutes"}, "kettlebell", std::nullopt},
      {"wall_ball", "Wall ball", "functional", {"quadriceps", "shoulders"}, "medicine_ball", std::nullopt},
      {"battle_rope", "Battle rope waves", "functional", {"shoulders", "arms"}, "rope", std::nullopt},
      {"sled_push", "Sled push", "functional", {"quadriceps", "glutes", "calves"}, "sled", std::nullopt},
      {"jump_rope", "Jump rope", "functional", {"calves", "cardio"}, "rope", std::nullopt},
      // Cardio machines
      {"treadmill_run", "Treadmill run", "cardio", {"legs", "cardio"}, "cardio_machine", "treadmill"},
      {"treadmill_walk_incline", "Incline walk", "cardio", {"legs", "glutes", "cardio"}, "cardio_machine", "treadmill"},
      {"stationary_bike", "Stationary bike", "cardio", {"quadriceps", "cardio"}, "cardio_machine", "bike"},
      {"spin_bike", "Spin bike", "cardio", {"quadriceps", "cardio"}, "cardio_machine", "spin_bike"},
      {"rowing_machine", "Rowing machine", "cardio", {"back", "legs", "cardio"}, "cardio_machine", "rower"},
      {"elliptical", "Elliptical", "cardio", {"legs", "cardio"}, "cardio_machine", "elliptical"},
      {"stair_climber", "Stair climber", "cardio", {"glutes", "quadriceps", "cardio"}, "cardio_machine", "stair_climber"},
      {"ski_erg", "SkiErg", "cardio", {"lats", "triceps", "cardio"}, "cardio_machine", "ski_erg"},
      {"air_bike", "Air bike", "cardio", {"full_body", "cardio"}, "cardio_machine", "air_bike"},
  };
  return list;
}

const Exercise* catalogue_exercise(std::string_view id) {
  for (const auto& e : catalogue())
    if (e.id == id) return &e;
  return nullptr;
}

}  // namespace spotter::cloud::training
