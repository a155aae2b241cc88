#include "didban/object_class.h"

#include <array>
#include <string>

#include "didban/stage.h"

namespace didban {

std::string_view ObjectClassName(ObjectClass c) {
  switch (c) {
    case ObjectClass::kUnknown:
      return "unknown";
    case ObjectClass::kPerson:
      return "person";
    case ObjectClass::kBicycle:
      return "bicycle";
    case ObjectClass::kCar:
      return "car";
    case ObjectClass::kMotorcycle:
      return "motorcycle";
    case ObjectClass::kBus:
      return "bus";
    case ObjectClass::kTruck:
      return "truck";
    case ObjectClass::kAnimal:
      return "animal";
    case ObjectClass::kOther:
      return "other";
  }
  return "other";
}

ObjectClass ObjectClassFromName(std::string_view name) {
  static constexpr std::array<ObjectClass, 9> kAll = {
      ObjectClass::kUnknown, ObjectClass::kPerson, ObjectClass::kBicycle, ObjectClass::kCar,  ObjectClass::kMotorcycle,
      ObjectClass::kBus,     ObjectClass::kTruck,  ObjectClass::kAnimal,  ObjectClass::kOther};
  for (ObjectClass c : kAll) {
    if (ObjectClassName(c) == name) return c;
  }
  if (name == "motorbike") return ObjectClass::kMotorcycle;
  if (name == "pedestrian") return ObjectClass::kPerson;
  if (name == "van") return ObjectClass::kCar;
  return ObjectClass::kOther;
}

ObjectClass ObjectClassFromCoco(int coco_index) {
  switch (coco_index) {
    case 0:
      return ObjectClass::kPerson;
    case 1:
      return ObjectClass::kBicycle;
    case 2:
      return ObjectClass::kCar;
    case 3:
      return ObjectClass::kMotorcycle;
    case 5:
      return ObjectClass::kBus;
    case 7:
      return ObjectClass::kTruck;
    default:
      if (coco_index >= 14 && coco_index <= 23) return ObjectClass::kAnimal;  // bird ... giraffe
      return ObjectClass::kOther;
  }
}

bool IsVehicle(ObjectClass c) {
  switch (c) {
    case ObjectClass::kCar:
    case ObjectClass::kBus:
    case ObjectClass::kTruck:
    case ObjectClass::kMotorcycle:
    case ObjectClass::kBicycle:
    case ObjectClass::kUnknown:
      return true;
    default:
      return false;
  }
}

const char* SourceStateName(SourceState s) {
  switch (s) {
    case SourceState::kConnecting:
      return "connecting";
    case SourceState::kStreaming:
      return "streaming";
    case SourceState::kReconnecting:
      return "reconnecting";
    case SourceState::kEnded:
      return "ended";
    case SourceState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace didban
