// The anonymous object classes didban reasons about. didban tracks objects, never identities.
#ifndef DIDBAN_OBJECT_CLASS_H_
#define DIDBAN_OBJECT_CLASS_H_

#include <string_view>

namespace didban {

enum class ObjectClass : int {
  kUnknown = 0,  // a moving blob from the motion detector, or a class didban does not map
  kPerson,
  kBicycle,
  kCar,
  kMotorcycle,
  kBus,
  kTruck,
  kAnimal,
  kOther,
};

// "unknown", "person", "bicycle", "car", "motorcycle", "bus", "truck", "animal", "other".
std::string_view ObjectClassName(ObjectClass c);
// Inverse of ObjectClassName (also accepts COCO names such as "motorbike"); kOther for names it does not know.
ObjectClass ObjectClassFromName(std::string_view name);
// Maps a COCO-80 class index (0 = person ... ) to an ObjectClass.
ObjectClass ObjectClassFromCoco(int coco_index);
// True for road vehicles (car, bus, truck, motorcycle, bicycle) and kUnknown blobs on a road.
bool IsVehicle(ObjectClass c);

}  // namespace didban

#endif  // DIDBAN_OBJECT_CLASS_H_
